// Draws the region map on the overview page from the GeoJSON embedded in the page.
// No map tiles: the boundaries are the regions' own polygons, so it works offline.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("region-map");
  var data = document.getElementById("region-map-data");
  if (!el || !data || typeof echarts === "undefined") return;
  var geo = JSON.parse(data.textContent);
  echarts.registerMap("redline-regions", geo);
  var chart = echarts.init(el);
  var label = el.dataset.label || "";
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) { return echarts.format.encodeHTML(p.name) + ": " + (p.value || 0) + " " + label; } },
    visualMap: { min: 0, max: Math.max(1, Number(el.dataset.max)), left: "left", bottom: 0,
                 calculable: true, inRange: { color: ["#fde8e4", "#c0392b"] } },
    series: [{
      type: "map", map: "redline-regions", roam: true, nameProperty: "name",
      label: { show: true, fontSize: 11 },
      data: geo.features.map(function (f) { return { name: f.properties.name, value: f.properties.units }; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
