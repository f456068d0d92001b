// A campaign's weekly trend: cumulative hazards found and closed (ECharts, offline).
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("campaign-trend");
  var data = document.getElementById("campaign-trend-data");
  if (!el || !data || typeof echarts === "undefined") return;
  var trend = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: trend.weeks, axisLabel: { formatter: function (v) { return v.slice(5); } } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: el.dataset.found, type: "line", data: trend.found, showSymbol: false, itemStyle: { color: "#b3261e" } },
      { name: el.dataset.closed, type: "line", data: trend.closed, showSymbol: false, itemStyle: { color: "#1a7f37" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
