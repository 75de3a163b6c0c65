/* Dashboard charts: reads /admin/api/stats with the page's filters and draws them with ECharts.
   All texts come from the page (#chart-texts), none are written here. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  var texts = JSON.parse(document.getElementById("chart-texts").textContent || "{}");
  function tr(key, fallback) { return texts[key] || fallback || key; }
  function pct(x) { return x === null || x === undefined ? "–" : (Math.round(x * 1000) / 10) + "%"; }
  function chart(id) { return window.echarts.init(document.getElementById(id), null, { renderer: "svg" }); }
  function empty(c, n) {
    if (n) return false;
    c.setOption({ title: { text: tr("no_data"), left: "center", top: "middle", textStyle: { fontSize: 13, color: "#888" } } });
    return true;
  }
  function bars(id, pairs, labelOf) {
    var c = chart(id);
    if (empty(c, pairs.length)) return c;
    var names = pairs.map(function (p) { return labelOf(p); }).reverse();
    var values = pairs.map(function (p) { return p[p.length - 1]; }).reverse();
    c.setOption({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names },
      tooltip: { trigger: "axis" },
      series: [{ type: "bar", name: tr("series_count"), data: values, itemStyle: { color: "#1f5fa8" } }]
    });
    return c;
  }
  function pie(id, pairs, labelOf) {
    var c = chart(id);
    if (empty(c, pairs.length)) return c;
    c.setOption({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: pairs.map(function (p) { return { name: labelOf(p), value: p[1] }; }) }]
    });
    return c;
  }
  function draw(s) {
    document.getElementById("kpi-conversations").textContent = s.conversations;
    document.getElementById("kpi-messages").textContent = s.messages;
    document.getElementById("kpi-refusal").textContent = pct(s.refusal_rate);
    document.getElementById("kpi-handoff").textContent = pct(s.handoff_rate);
    document.getElementById("kpi-thumbs").textContent = pct(s.thumbs_up_share);
    var days = chart("chart-days");
    days.setOption({
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      legend: { data: [tr("series_conversations"), tr("series_messages")] }, tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: s.days }, yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: tr("series_conversations"), type: "line", data: s.conversations_per_day, smooth: true },
        { name: tr("series_messages"), type: "bar", data: s.messages_per_day, itemStyle: { color: "#9cc3e6" } }
      ]
    });
    var charts = [days,
      pie("chart-languages", s.languages, function (p) { return tr("language_" + p[0], p[0]); }),
      bars("chart-services", s.services, function (p) { return p[1]; }),
      bars("chart-aspects", s.aspects, function (p) { return tr("aspect_" + p[0], p[0]); }),
      pie("chart-channels", s.channels, function (p) { return tr("channel_" + p[0], p[0]); }),
      pie("chart-outcomes", s.outcomes, function (p) { return tr("outcome_" + p[0], p[0]); })];
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    root.setAttribute("data-loaded", "true");
    root.setAttribute("data-elapsed-ms", s.elapsed_ms);
  }
  fetch(root.getAttribute("data-api") + "?" + root.getAttribute("data-query"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(draw)
    .catch(function () { root.setAttribute("data-loaded", "error"); });
})();
