// A hospital's capacity chart: occupancy (beds, ICU, ventilators) and fever clinic visits.
// The series' names are this script's data-* attributes; the data is the json_script
// "chart-data".
(function () {
  var names = document.currentScript.dataset;
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("chart-data");
    var el = document.getElementById("chart-hospital");
    if (!window.echarts || !el || !source) return;
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis"},
      legend: {top: 0, type: "scroll"},
      grid: {left: 48, right: 48, top: 56, bottom: 40},
      xAxis: {type: "category", data: data.days},
      yAxis: [{type: "value", name: "%", max: 100}, {type: "value", name: names.visits}],
      series: [
        {name: names.bedOccupancy, type: "line", data: data.bed_occupancy, itemStyle: {color: "#2e8b57"}},
        {name: names.icuOccupancy, type: "line", data: data.icu_occupancy, itemStyle: {color: "#e63031"}},
        {name: names.ventilators, type: "line", data: data.ventilator_use, itemStyle: {color: "#7a2a9a"}},
        {name: names.feverVisits, type: "bar", yAxisIndex: 1, data: data.fever_clinic_visits, itemStyle: {color: "#f48400", opacity: .6}}
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
