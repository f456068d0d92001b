// The regional capacity page's charts: ICU beds, beds and staff, fever clinics, day by day.
// The series' names are this script's data-* attributes; the data is the json_script
// "chart-data".
(function () {
  var names = document.currentScript.dataset;
  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("chart-data");
    if (!window.echarts || !source) return;
    var data = JSON.parse(source.textContent);
    function draw(id, series) {
      var el = document.getElementById(id);
      if (!el) return;
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: {trigger: "axis"},
        legend: {top: 0, type: "scroll"},
        grid: {left: 48, right: 16, top: 48, bottom: 40},
        xAxis: {type: "category", data: data.days},
        yAxis: {type: "value"},
        series: series
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    draw("chart-icu", [
      {name: names.icuCapacity, type: "line", data: data.icu_capacity, lineStyle: {type: "dashed"}, itemStyle: {color: "#4a6fa5"}},
      {name: names.icuBeds, type: "line", data: data.icu_beds, itemStyle: {color: "#2e8b57"}},
      {name: names.icuOccupied, type: "line", areaStyle: {opacity: .15}, data: data.icu_occupied, itemStyle: {color: "#e63031"}},
      {name: names.ventilators, type: "line", data: data.ventilators_in_use, itemStyle: {color: "#7a2a9a"}}
    ]);
    draw("chart-beds", [
      {name: names.beds, type: "line", data: data.beds, itemStyle: {color: "#2e8b57"}},
      {name: names.bedsOccupied, type: "line", areaStyle: {opacity: .15}, data: data.beds_occupied, itemStyle: {color: "#e63031"}},
      {name: names.staffAbsent, type: "bar", data: data.staff_absent, itemStyle: {color: "#f1b000"}}
    ]);
    draw("chart-fever", [
      {name: names.feverVisits, type: "bar", data: data.fever_clinic_visits, itemStyle: {color: "#f48400"}},
      {name: names.reporting, type: "line", data: data.reporting, itemStyle: {color: "#888"}}
    ]);
  });
})();
