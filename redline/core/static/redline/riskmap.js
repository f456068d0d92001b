// The city's risk map: regions coloured by their highest risk level, drawn from the
// regions' own GeoJSON (no tiles, works offline). A click loads the region's enterprises.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("risk-map");
  var data = document.getElementById("risk-map-data");
  if (!el || !data || typeof echarts === "undefined") return;
  var geo = JSON.parse(data.textContent);
  var colours = JSON.parse(document.getElementById("risk-map-colours").textContent);
  echarts.registerMap("redline-risk", geo);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) {
      var c = (p.data && p.data.counts) || {};
      return echarts.format.encodeHTML(p.name) + "<br>" + ["1", "2", "3", "4"].map(function (k) {
        return '<span style="color:' + colours[k] + '">■</span> ' + (c[k] || 0); }).join(" ");
    } },
    series: [{
      type: "map", map: "redline-risk", roam: true, nameProperty: "name",
      label: { show: true, fontSize: 11, color: "#fff", textBorderColor: "#333", textBorderWidth: 2 },
      data: geo.features.map(function (f) {
        return { name: f.properties.name, id: f.properties.id, counts: f.properties.counts,
                 itemStyle: { areaColor: colours[String(f.properties.level)] || "#c8ced6" } };
      })
    }]
  });
  chart.on("click", function (p) {
    if (!p.data || !window.htmx) return;
    htmx.ajax("GET", el.dataset.drill.replace("/0/", "/" + p.data.id + "/"), el.dataset.target);
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
