// The epidemic dashboard's map: regions coloured by their open signals; a click opens the
// region's open signals. Words and the list's address are data-* attributes of the map's
// element; the regions are the json_script "signal-map-data".
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("signal-map");
  var source = document.getElementById("signal-map-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var geo = JSON.parse(source.textContent);
  echarts.registerMap("redline-signal-regions", geo);
  var chart = echarts.init(el);
  var label = el.dataset.open;
  var late = el.dataset.overdue;
  chart.setOption({
    tooltip: {trigger: "item", formatter: function (p) {
      var d = p.data || {};
      return echarts.format.encodeHTML(p.name) + ": " + (d.value || 0) + " " + label + (d.overdue ? " (" + d.overdue + " " + late + ")" : "");
    }},
    visualMap: {min: 0, max: Math.max(1, Number(el.dataset.max)), left: "left", bottom: 0, calculable: true,
                inRange: {color: ["#f3f6f9", "#f48400", "#b3261e"]}},
    series: [{
      type: "map", map: "redline-signal-regions", roam: true, nameProperty: "name",
      label: {show: true, fontSize: 12, color: "#1f2328", textBorderColor: "#fff", textBorderWidth: 2},
      data: geo.features.map(function (f) {
        return {name: f.properties.name, value: f.properties.open, overdue: f.properties.overdue, id: f.properties.id};
      })
    }]
  });
  chart.on("click", function (p) {
    if (p.data && p.data.id) window.location = el.dataset.list + "?state=open&region=" + p.data.id;
  });
  el.dataset.ready = "1";
  window.addEventListener("resize", function () { chart.resize(); });
});
