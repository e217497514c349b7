"""The tables `make bench` prints, one per stage that ran, then the budgets. Pure: it reads the
results dict (as saved in bench/results.json) and returns text, so tests/bench checks it."""

from __future__ import annotations

from typing import Any

from bench.budgets import LIGHTHOUSE_CATEGORIES as CATEGORIES
from bench.budgets import LIMITS, check
from bench.scale import slopes
from bench.stats import format_table, kilobytes, median_cell, ratio, seconds, times, verdict

KINDS = ["html", "css", "js", "font", "figures", "search", "other"]  # as bench/pages.py sorts them


def machine(results: dict[str, Any]) -> str:
    v = results["versions"]
    load = " -> ".join(f"{minute:.1f}" for minute, *_ in results["load"])
    return (
        f"Machine: {v['cpus']} CPUs, 1-minute load average {load} (other work skews timings); "
        f"{v['chromium']}; {v['nginx']}; Lighthouse {v['lighthouse']}; {v['graphviz']}"
    )


def builds_table(builds: dict[str, Any], runs: int) -> str:
    wall, cpu = builds["wall"], builds["cpu"]
    cold, warm, bare = (wall[name]["median"] for name in ("cold", "warm", "no_figures"))
    labels = {
        "no_figures": ("no figure pipeline", "baseline"),
        "cold": ("cold (empty figure cache)", f"{times(ratio(cold, bare))} no-figure build"),
        "warm": ("warm (cache full, no change)", f"{times(ratio(warm, bare))} no-figure build"),
    }
    return format_table(
        f"Builds (one `mkdocs build --strict` process each, {runs} runs, interleaved)",
        ["build", "median", "min", "max", "CPU median", "vs baseline"],
        [
            [label, *median_cell(wall[name]), seconds(cpu[name]["median"]), baseline]
            for name, (label, baseline) in labels.items()
        ],
    )


def edits_table(edits: dict[str, Any]) -> str:
    rebuild = edits.get("rebuild")
    base = rebuild and rebuild["median"]
    rows = [
        ["MkDocs' own rebuild time in serve", *median_cell(rebuild), "baseline (from its log)"]
        if rebuild
        else ["MkDocs' own rebuild time in serve", "n/a", "n/a", "n/a", "not in serve's log"],
        [
            "Markdown edit (docs/index.md)",
            *median_cell(edits["markdown"]),
            f"{times(ratio(edits['markdown']['median'], base))} rebuild",
        ],
    ]
    diagram = edits.get("diagram")
    if diagram:
        label = f"diagram edit ({diagram['figure']})"
        rows.append(
            [label, *median_cell(diagram), f"{times(ratio(diagram['median'], base))} rebuild"]
        )
    else:
        rows.append(["diagram edit", "n/a", "n/a", "n/a", "no figure with an editable label"])
    return format_table(
        "Edit to browser under mkdocs serve --livereload (edit saved -> new bytes served)",
        ["edit", "median", "min", "max", "vs baseline"],
        rows,
    )


def figures_table(figures: dict[str, Any], runs: int) -> str:
    limit = LIMITS["figure"].limit
    return format_table(
        f"Figures (render: sitebuild.figures.render() on an empty cache, {runs} runs)",
        ["figure", "render median", "min", "max", "raw", "gzip", f"<= {kilobytes(limit)} gzip"],
        [
            [
                name,
                *median_cell(f["render"]),
                kilobytes(f["bytes"]),
                kilobytes(f["gzip"]),
                verdict(f["gzip"] <= limit),
            ]
            for name, f in figures.items()
        ]
        or [["(no figures yet)", "", "", "", "", "", ""]],
    )


def pages_table(pages: dict[str, Any]) -> list[str]:
    out = [
        format_table(
            "First visit (empty cache, Chromium 1280x800, nginx gzip); bytes gzip as sent",
            ["page", "requests", *KINDS, "total gzip", "total raw", "without figures"],
            [
                [
                    "/" + page,
                    p["requests"],
                    *(kilobytes(p["gzip"][k]) for k in KINDS),
                    kilobytes(p["total_gzip"]),
                    kilobytes(p["total_raw"]),
                    kilobytes(p["gzip_without_figures"]),
                ]
                for page, p in pages.items()
            ],
        )
    ]
    for page, p in pages.items():
        for problem in ("failed", "other_origins"):
            if p[problem]:
                out.append(f"/{page}: {problem.replace('_', ' ')}: {', '.join(p[problem])}")
    return out


def lighthouse_table(lighthouse: dict[str, Any]) -> list[str]:
    rows = []
    for page, presets in lighthouse.items():
        for preset, entry in presets.items():
            perf = entry["performance"]["values"]
            rows.append(
                [
                    "/" + page,
                    preset,
                    len(perf),
                    *(f"{entry[c]['median']:g}" for c in CATEGORIES),
                    seconds(entry["lcp"]["median"]),
                    seconds(entry["tbt"]["median"]),
                    f"{entry['cls']['median']:.3f}",
                    f"{min(perf)}-{max(perf)}",
                ]
            )
    head = ["page", "form", "runs", "perf", "a11y", "best pr.", "SEO", "LCP", "TBT", "CLS"]
    out = [format_table("Lighthouse 12.2.3 (medians)", [*head, "perf range"], rows)]
    entries = [e for presets in lighthouse.values() for e in presets.values()]
    for key, what in (
        ("failing", "audits failing on some measured page"),
        ("errored", "audits that could not run (no score depends on them while weight is 0)"),
        ("warnings", "warnings"),
    ):
        found = sorted({item for entry in entries for item in entry[key]})
        if found:
            out.append(f"Lighthouse {what}: " + "; ".join(found))
    retries = sum(entry["retries"] for entry in entries)
    if retries:
        out.append(f"Lighthouse runs repeated because they came back without a score: {retries}")
    return out


def scale_table(scale: dict[str, Any]) -> list[str]:
    stage_names = sorted({s for f in scale.values() for s in f["cold"]["stages"]})
    rows = []
    for factor, f in sorted(scale.items(), key=lambda item: int(item[0])):
        for kind in ("cold", "warm"):
            stages = f[kind]["stages"]
            rows.append(
                [
                    f"{factor}x {kind}",
                    f["pages"],
                    f["figures"],
                    seconds(f[kind]["wall"]),
                    seconds(f[kind]["cpu"]),
                    *(seconds(stages.get(name, 0.0)) for name in stage_names),
                ]
            )
    out = [
        format_table(
            "Scale (copies of the site in a scratch tree; one build each; stages timed in-process)",
            ["site", "pages", "figures", "wall", "CPU", *stage_names],
            rows,
        )
    ]
    slope = slopes(scale)
    if slope:
        largest = max(scale, key=int)
        stages = scale[largest]["cold"]["stages"]
        top = max(stages, key=stages.get) if stages else "n/a"
        guess = 200 * slope["per_page"] + 100 * slope["per_figure"]
        wall = scale[largest]["cold"]["wall"]
        out.append(
            f"One more page costs {seconds(slope['per_page'])} "
            f"({seconds(slope['per_page_cpu'])} of CPU; warm builds), one more figure "
            f"{seconds(slope['per_figure'])} to render (cold): 200 pages with 100 figures add "
            f"about {seconds(guess)} to a cold build. At {largest}x the largest stage of the cold "
            f"build is {top} ({seconds(stages.get(top))} of {seconds(wall)})."
        )
    return out


def vm_table(rows: list[dict[str, Any]]) -> str:
    """The browser VM: one run each (a cold boot takes tens of seconds)."""
    cells = [
        [row["name"], kilobytes(row["value"]) if row["unit"] == "bytes" else seconds(row["value"])]
        for row in rows
    ]
    title = "Try it in your browser (one resume, one cold boot)"
    return format_table(title, ["what", "value"], cells)


def tables(results: dict[str, Any]) -> str:
    """Every table for the stages in `results`, then the budgets."""
    runs = results["runs"]
    out = [machine(results)]
    if "builds" in results:
        out.append(builds_table(results["builds"], runs))
    if "edits" in results:
        out.append(edits_table(results["edits"]))
    if "figures" in results:
        out.append(figures_table(results["figures"], runs))
    if "pages" in results:
        out += pages_table(results["pages"])
    if "lighthouse" in results:
        out += lighthouse_table(results["lighthouse"])
    if "vm" in results:
        out.append(vm_table(results["vm"]))
    if "scale" in results:
        out += scale_table(results["scale"])
    out.append(
        format_table(
            "Budgets (bench/budgets.py)",
            ["budget", "limit", "before", "measured", "verdict"],
            [[b.name, b.limit, b.before, b.measured, verdict(b.met)] for b in check(results)],
        )
    )
    return "\n\n".join(out)
