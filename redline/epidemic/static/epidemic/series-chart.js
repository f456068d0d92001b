// The series chart: the counts compared with the bound as bars (red where the method alarmed),
// the upper bound as a dashed line, the expected count (when the method gives it) as a dotted
// one. For MPM the bars are the window sums the bound applies to, with the daily counts as a
// thin line. The chart's element is named by this script's data-chart; the series' names are
// its other data-* attributes; the data is the json_script "chart-data".
(function () {
  var script = document.currentScript;
  var names = script.dataset;
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById(names.chart);
    var source = document.getElementById("chart-data");
    if (!el || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    var compared = data.current || data.counts;
    var bars = compared.map(function (value, i) {
      return data.alarms[i] === 1 ? {value: value, itemStyle: {color: "#c42021"}} : value;
    });
    var marks = [];
    data.alarms.forEach(function (flag, i) { if (flag === 1) marks.push([data.dates[i], compared[i]]); });
    var series = [
      {name: data.current ? names.window : names.cases, type: "bar", data: bars, itemStyle: {color: "#4a6fa5"}},
      {name: names.upper, type: "line", data: data.upperbounds, connectNulls: false,
       showSymbol: false, lineStyle: {type: "dashed", color: "#f48400", width: 2}, itemStyle: {color: "#f48400"}},
      {name: names.alarm, type: "scatter", data: marks, symbol: "triangle", symbolSize: 12,
       itemStyle: {color: "#c42021"}}
    ];
    if (data.expected) {
      series.push({name: names.expected, type: "line", data: data.expected, showSymbol: false,
                   lineStyle: {type: "dotted", color: "#5f6b76"}, itemStyle: {color: "#5f6b76"}});
    }
    if (data.current) {
      series.push({name: names.daily, type: "line", data: data.counts, showSymbol: false,
                   lineStyle: {width: 1, color: "#1f2328"}, itemStyle: {color: "#1f2328"}});
    }
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 40, right: 12, top: 40, bottom: 56},
      xAxis: {type: "category", data: data.dates, axisLabel: {rotate: 30}},
      yAxis: {type: "value", minInterval: 1},
      dataZoom: data.dates.length > 60 ? [{type: "inside"}, {type: "slider", height: 14, bottom: 4}] : [],
      series: series
    });
    el.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
