// A chemical park's boundary with its enterprises as points coloured by risk level.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("park-map");
  var data = document.getElementById("park-map-data");
  if (!el || !data || typeof echarts === "undefined") return;
  var map = JSON.parse(data.textContent);
  if (!map.boundary) { el.style.display = "none"; return; }
  echarts.registerMap("redline-park", { type: "FeatureCollection", features: [
    { type: "Feature", properties: { name: "park" }, geometry: map.boundary } ] });
  var chart = echarts.init(el);
  chart.setOption({
    geo: { map: "redline-park", roam: true, itemStyle: { areaColor: "#f3f5f7", borderColor: "#8a96a3" } },
    tooltip: { trigger: "item", formatter: function (p) { return echarts.format.encodeHTML(p.name); } },
    series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 9,
      data: map.points.map(function (p) {
        return { name: p.name, value: p.value, url: p.url,
                 itemStyle: { color: map.colours[String(p.level)] || "#c8ced6" } }; }) }]
  });
  chart.on("click", function (p) { if (p.data && p.data.url) window.location = p.data.url; });
  window.addEventListener("resize", function () { chart.resize(); });
});
