// The hazard dashboard's chart by region: open (general, major), overdue and closed hazards.
// The series' names are the data-* attributes of the chart's element.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("region-chart");
  var source = document.getElementById("chart-data");
  if (!window.echarts || !el || !source) return;
  var data = JSON.parse(source.textContent);
  var names = el.dataset;
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {top: 0},
    grid: {left: 40, right: 10, top: 36, bottom: 60},
    xAxis: {type: "category", data: data.regions, axisLabel: {rotate: 30}},
    yAxis: {type: "value"},
    series: [
      {name: names.openGeneral, type: "bar", stack: "open", data: data.open_general, itemStyle: {color: "#f1b000"}},
      {name: names.openMajor, type: "bar", stack: "open", data: data.open_major, itemStyle: {color: "#e63031"}},
      {name: names.overdue, type: "bar", data: data.overdue, itemStyle: {color: "#7a2a9a"}},
      {name: names.closed, type: "bar", data: data.closed, itemStyle: {color: "#2e8b57"}}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
