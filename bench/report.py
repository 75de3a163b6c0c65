"""Writes the benchmark's figures: bench/results.json, bench/RESULTS.md (the measured part) and a plot."""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = {"project": "make run", "prod": "make run-prod", "stock": "Rasa default (same data)"}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _level(out: dict, stack: str, c: int) -> dict:
    return out["stacks"].get(stack, {}).get("levels", {}).get(c) or {}


def summary_keys(out: dict) -> dict:
    """The headline keys (throughput and p99 at 10 clients are production mode's when it ran)."""
    main = "prod" if "prod" in out["stacks"] else "project"
    ours = _level(out, main, 10).get("throughput")
    stock = _level(out, "stock", 10).get("throughput")
    return {
        "throughput_msgs_c10": ours,
        "throughput_ratio_c10": round(ours / stock, 2) if ours and stock else None,
        "p99_ms_c10": _level(out, main, 10).get("p99_ms"),
        "throughput_msgs_c10_make_run": _level(out, "project", 10).get("throughput"),
        "service_accuracy_project": out["stacks"].get(main, {}).get("service_accuracy"),
        "service_accuracy_stock": out["stacks"].get("stock", {}).get("service_accuracy"),
        "edit_to_live_s": out.get("edit_to_live_s"),
        "dashboard_figures_ms_100k": (out.get("dashboard") or {}).get("figures_ms"),
    }


def table(out: dict) -> str:
    rows = ["| stack | clients | messages/s | p50 ms | p95 ms | p99 ms | errors | timeouts |",
            "|---|---|---|---|---|---|---|---|"]
    for stack, data in out["stacks"].items():
        for c, r in data["levels"].items():
            rows.append(f"| {NAMES[stack]} | {c} | {r['throughput']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
                        f"{r['p99_ms']:.0f} | {r['errors']} | {r['timeouts']} |")
    return "\n".join(rows)


def markdown(out: dict) -> str:
    keys = summary_keys(out)
    lines = [f"Measured {out['date']} on {out['cores']} cores, `{out['command']}` ({out['mode']} mode, "
             f"{out['bench_seconds']} s).", "", table(out), ""]
    for stack, data in out["stacks"].items():
        mem = ", ".join(f"{role} {'+'.join(str(m) for m in ms)} MB" for role, ms in data["memory_mb"].items())
        lines.append(f"- {NAMES[stack]}: service accuracy {data['service_accuracy']} % "
                     f"({'whole' if out['mode'] == 'full' else 'a 100-question sample of the'} dev set); "
                     f"memory {mem}; ready {data['started_in_s']} s after start")
    t = out.get("training_seconds", {})
    lines.append(f"- training: project {t.get('project')} s, Rasa default {t.get('stock')} s "
                 "(as recorded when the models were trained)")
    trials = out.get("edit_to_live_trials_s")
    lines.append(f"- staff edit to live answer (an editor saves in the console's form until the bot's answer "
                 f"shows it; no retraining): {out.get('edit_to_live_s')} s"
                 + (f" (median of {len(trials)} edits: {trials})" if trials else ""))
    dash = out.get("dashboard")
    if dash:
        lines.append(f"- staff console with {dash['conversations']:,} stored conversations ({dash['messages']:,} "
                     f"messages, 30 days): dashboard page {dash['page_ms']} ms, figures {dash['figures_ms']} ms "
                     f"(one channel {dash['figures_channel_ms']} ms; {dash['figures_first_ms']} ms the first time, "
                     f"when finished days are counted once; the console's background task does this ahead of "
                     f"time), unanswered inbox {dash['inbox_ms']} ms")
    if "stock" in out["stacks"]:
        lines.append("- Rasa's default pipeline has no service resolver: it never fills the `service` slot, so its "
                     "service accuracy is near zero; it is served with Rasa's own per-action schema validation "
                     "(`RASA_SPEEDUPS=off`), as a stock server is")
    if out.get("stock_model_note"):
        lines.append(f"- Rasa default model: {out['stock_model_note']}")
    if keys["throughput_ratio_c10"]:
        lines.append(f"- at 10 clients: {keys['throughput_msgs_c10']} messages/s, "
                     f"{keys['throughput_ratio_c10']}× Rasa's default configuration in the same run")
    growth = out.get("growth") or {}
    if "latency_ms_by_turn" in growth:
        lines.append("- growth, conversation length (make run, median ms at turn 1 / 10 / 50): "
                     + " / ".join(str(v) for v in growth["latency_ms_by_turn"].values()))
    if "search_ms_by_services" in growth:
        lines.append("- growth, knowledge-base size (search per message, median ms at "
                     + " / ".join(f"{k}" for k in growth["search_ms_by_services"]) + " services): "
                     + " / ".join(str(v) for v in growth["search_ms_by_services"].values()))
    if "rasa_memory_mb_by_stored_conversations" in growth:
        lines.append("- growth, stored conversations (Rasa server MB after "
                     + " / ".join(growth["rasa_memory_mb_by_stored_conversations"]) + "): "
                     + " / ".join(str(v) for v in growth["rasa_memory_mb_by_stored_conversations"].values()))
    if out.get("growth_note"):
        lines.append(f"- ({out['growth_note']})")
    lines += ["", "Run-to-run spread on this shared 2-core machine is large: over five quick runs this session "
              "`make run-prod` at 10 clients gave 31–46 messages/s and `make run` 23–29.", "",
              "![throughput and p99 by clients](throughput.png)"]
    return "\n".join(lines)


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for stack, data in out["stacks"].items():
        cs = sorted(int(c) for c in data["levels"])
        left.plot(cs, [data["levels"][c]["throughput"] for c in cs], marker="o", label=NAMES[stack])
        right.plot(cs, [data["levels"][c]["p99_ms"] for c in cs], marker="o", label=NAMES[stack])
    left.set(xlabel="concurrent clients", ylabel="messages / s", title="throughput", xscale="log")
    right.set(xlabel="concurrent clients", ylabel="ms", title="p99 latency", xscale="log", yscale="log")
    left.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(out: dict, folder: Path = HERE) -> None:
    out = json.loads(json.dumps(out))  # level keys become strings, as in the JSON file
    for data in out["stacks"].values():
        data["levels"] = {int(c): r for c, r in data["levels"].items()}
    payload = {**summary_keys(out), **out}
    (folder / "results.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    plot(out, folder / "throughput.png")
    results = folder / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in text:
        text += "\n" + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    results.write_text(head + BEGIN + "\n" + markdown(out) + "\n" + END + tail, encoding="utf-8")


CONSOLE_BEGIN, CONSOLE_END = "<!-- console:begin -->", "<!-- console:end -->"


def write_console(fig: dict, folder: Path = HERE) -> None:
    """The staff console's figures (``python -m bench.console``) into results.json and their own
    section of RESULTS.md, leaving the throughput run's figures as they are."""
    path = folder / "results.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data["console"] = fig
    data["edit_to_live_s"] = fig["edit_to_live_s"]
    data["dashboard_figures_ms_100k"] = fig["dashboard"]["figures_ms"]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    dash = fig["dashboard"]
    lines = [
        f"Measured {fig['date']} on {fig['cores']} cores, `{fig['command']}`.", "",
        f"- staff edit to live answer: an editor saves a service's fee in the console's form, then the bot is asked "
        f"until its answer shows it (no retraining): median {fig['edit_to_live_s']} s of "
        f"{fig['edit_to_live_trials_s']} (after warm-up; each edit undone in the console)",
        f"- dashboard with {dash['conversations']:,} stored conversations ({dash['messages']:,} messages over 30 days, "
        f"seeded in {dash['seed_s']} s): page {dash['page_ms']} ms, figures {dash['figures_ms']} ms, one channel "
        f"{dash['figures_channel_ms']} ms; {dash['figures_first_ms']} ms the very first time (finished days are "
        f"counted once, normally ahead of time by the console's background task); unanswered inbox "
        f"{dash['inbox_ms']} ms",
    ]
    results = folder / "RESULTS.md"
    text = results.read_text(encoding="utf-8")
    block = CONSOLE_BEGIN + "\n" + "\n".join(lines) + "\n" + CONSOLE_END
    if CONSOLE_BEGIN in text:
        head, rest = text.split(CONSOLE_BEGIN, 1)
        text = head + block + rest.split(CONSOLE_END, 1)[1]
    else:
        text += "\n## Staff console\n\n" + block + "\n"
    results.write_text(text, encoding="utf-8")
