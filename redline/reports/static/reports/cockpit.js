// The city cockpit: the accident trend (this year against last year, ECharts), drawn again
// after each refresh of the live panels (htmx), and the full-screen button (Fullscreen API).
(function () {
  var chart = null;
  function drawTrend() {
    var el = document.getElementById("cockpit-trend");
    var data = document.getElementById("cockpit-trend-data");
    if (!el || !data || typeof echarts === "undefined") return;
    var trend = JSON.parse(data.textContent);
    if (chart) chart.dispose();
    chart = echarts.init(el);
    var colours = ["#c62828", "#90a4ae"];
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 36, right: 16, top: 32, bottom: 24 },
      xAxis: { type: "category", data: trend.months },
      yAxis: { type: "value", minInterval: 1 },
      series: trend.series.map(function (s, i) {
        return { name: s.name, type: "line", data: s.values, color: colours[i % 2], symbolSize: 7 };
      })
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawTrend();
    var root = document.getElementById("cockpit-root");
    var button = document.getElementById("fullscreen");
    if (root && button && document.fullscreenEnabled) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else root.requestFullscreen();
      });
    }
    window.addEventListener("resize", function () { if (chart) chart.resize(); });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.querySelector && event.target.querySelector("#cockpit-trend")) drawTrend();
    else if (document.getElementById("cockpit-trend")) drawTrend();
  });
})();
