"""The outputs of a fit: the model JSON, and the validation report as JSON, markdown and a
plot of the score distribution and calibration (the plot only when matplotlib, the optional
``fit`` extra, is installed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from service.modelling.fit import FitResult


def dumps(data: Mapping[str, Any]) -> str:
    """Stable JSON: the same fit gives the same bytes."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_model(result: FitResult, path: Path) -> None:
    """Write the model JSON (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(result.model), encoding="utf-8")


def write_report(result: FitResult, directory: Path) -> list[Path]:
    """The validation report as JSON and markdown, and the score distribution as a PNG when
    matplotlib (the optional ``fit`` extra) is installed. Returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    version = result.model["version"]
    written = []
    json_path = directory / f"{version}-validation.json"
    json_path.write_text(dumps(result.report), encoding="utf-8")
    written.append(json_path)
    png = directory / f"{version}-score-distribution.png"
    plotted = plot_scores(result, png)
    if plotted:
        written.append(png)
    md_path = directory / f"{version}-validation.md"
    md_path.write_text(report_markdown(result, png.name if plotted else None), encoding="utf-8")
    written.append(md_path)
    return written


def plot_scores(result: FitResult, path: Path) -> bool:
    """Score distribution of goods and bads on the held-out rows, and the calibration
    (False when matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    model = result.model
    lo, hi = model["score_range"]["min"], model["score_range"]["max"]
    bins = np.arange(lo, hi + 10, 10)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    s, y = result.scores_test, result.y_test
    left.hist(
        s[y == 0], bins=bins, density=True, alpha=0.6, label=f"good (n={int((y == 0).sum())})"
    )
    left.hist(s[y == 1], bins=bins, density=True, alpha=0.6, label=f"bad (n={int(y.sum())})")
    left.set_xlabel("score")
    left.set_ylabel("density")
    metrics = model["fit"]["metrics"]
    left.set_title(
        f"{model['version']}: held-out scores (AUC {metrics['auc']:.3f}, KS {metrics['ks']:.3f})"
    )
    left.legend()
    cal = result.report["calibration"]
    pred = [row["predicted_bad_rate"] for row in cal]
    obs = [row["observed_bad_rate"] for row in cal]
    top = max([*pred, *obs, 0.01]) * 1.1
    right.plot([0, top], [0, top], color="grey", linewidth=1, linestyle="--")
    right.plot(pred, obs, marker="o", label="observed")
    if cal and "true_bad_probability" in cal[0]:
        right.plot(pred, [row["true_bad_probability"] for row in cal], marker="x", label="truth")
    right.set_xlabel("predicted bad rate (from the score)")
    right.set_ylabel("bad rate")
    right.set_title("Calibration by decile of predicted risk")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def report_markdown(result: FitResult, png_name: str | None) -> str:
    """The validation report in markdown (``png_name``: the plot to show, if drawn)."""
    model, report = result.model, result.report
    fit_section = model["fit"]
    m = fit_section["metrics"]
    lines = [
        f"# Validation report: {model['version']}",
        "",
        f"Fitted on `{fit_section['data']['file']}` ({fit_section['data']['rows']} rows, "
        f"sha256 `{fit_section['data']['sha256'][:16]}…`), target `{fit_section['data']['target']}`"
        f" (bad = `{fit_section['data']['bad_label']}`), seed {fit_section['seed']}: "
        f"{fit_section['n_train']} training rows, {fit_section['n_test']} held-out rows "
        f"(bad rate {fit_section['bad_rate_test']:.2%}). Every figure below is on the held-out "
        "rows, scored with the published integer points.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| AUC | {m['auc']:.4f} |",
        f"| KS | {m['ks']:.4f} |",
        f"| Gini | {m['gini']:.4f} |",
        f"| Brier score | {m['brier']:.5f} |",
        f"| AUC on the training rows | {m['auc_train']:.4f} |",
    ]
    truth = report.get("truth")
    if truth:
        lines += [
            "| AUC of the true probability (the ceiling) | "
            f"{truth['auc_of_true_probability']:.4f} |",
            f"| model AUC / ceiling | {truth['auc_share_of_ceiling']:.4f} |",
            "| rank correlation, score vs true probability | "
            f"{truth['rank_correlation_score_vs_true_probability']:.4f} |",
        ]
    prohibited = report.get("left_out_prohibited") or {}
    if prohibited:
        lines += [
            "",
            "## Left out: prohibited data categories (`--drop-prohibited`)",
            "",
            "Clearfile fits financial data only. These columns name a prohibited data "
            "category (service/core/prohibited.py) and were left out before anything was "
            "fitted:",
            "",
            "| column | category |",
            "|---|---|",
            *(f"| {column} | {category} |" for column, category in prohibited.items()),
        ]
    rounding = report.get("rounding")
    if rounding:
        lines += [
            "",
            "## Readable cut points",
            "",
            f"Held-out AUC with the exact cut points {rounding['auc_exact']:.4f}, with cut "
            f"points rounded to readable values {rounding['auc_readable']:.4f}: rounding cost "
            f"{rounding['cost']:+.4f} (at most {rounding['max_cost']} allowed). Published: "
            f"the {rounding['published']} cut points.",
        ]
    lines += [
        "",
        "## Information value",
        "",
        "| characteristic | IV | trend of the bad rate | in the model |",
        "|---|---|---|---|",
    ]
    for row in report["information_value"]:
        lines.append(
            f"| {row['characteristic']} | {row['information_value']:.4f} | "
            f"{row.get('trend') or '–'} | "
            f"{'yes' if row['kept'] else 'no: ' + report['dropped'][row['characteristic']]} |"
        )
    if "selection" in report:
        lines += [
            "",
            "## Selection rules, and what each removed",
            "",
            f"1. **Information value** below {model['fit']['min_information_value']} "
            "(Siddiqi 2006: not predictive).",
            f"2. **Correlation**: a training WoE column correlated above "
            f"{model['fit']['max_correlation']} with a stronger characteristic's (the same "
            "information twice makes the coefficients unstable).",
            "3. **Sign**: a coefficient with the wrong sign next to the others (risk falling "
            "where the WoE says it rises) is left out, the worst first, and the model refitted.",
            "",
        ]
        removed = report["selection"]
        for rule in ("information value", "correlation", "sign"):
            hits = [r for r in removed if r["rule"] == rule]
            if not hits:
                lines.append(f"- {rule}: removed nothing")
            for r in hits:
                lines.append(f"- {rule}: removed {r['characteristic']}: {r['why']}")
    lines += [
        "",
        "## Bad rate by score band",
        "",
        "| band | n | share | bads | bad rate |",
        "|---|---|---|---|---|",
    ]
    for row in report["score_bands"]:
        rate = "–" if row["bad_rate"] is None else f"{row['bad_rate']:.2%}"
        lines.append(
            f"| {row['band']} | {row['n']} | {row['share']:.2%} | {row['bads']} | {rate} |"
        )
    has_truth = bool(report["calibration"]) and "true_bad_probability" in report["calibration"][0]
    lines += [
        "",
        "## Calibration (deciles of predicted risk, riskiest first)",
        "",
        "| decile | n | scores | predicted | observed |" + (" true P(bad) |" if has_truth else ""),
        "|---|---|---|---|---|" + ("---|" if has_truth else ""),
    ]
    for row in report["calibration"]:
        line = (
            f"| {row['decile']} | {row['n']} | {row['score_min']}–{row['score_max']} | "
            f"{row['predicted_bad_rate']:.2%} | {row['observed_bad_rate']:.2%} |"
        )
        if has_truth:
            line += f" {row['true_bad_probability']:.2%} |"
        lines.append(line)
    d = report["score_distribution"]
    lines += [
        "",
        "## Score distribution",
        "",
        f"min {d['min']}, 10th percentile {d['p10']}, median {d['median']}, mean {d['mean']}, "
        f"90th percentile {d['p90']}, max {d['max']}; median of goods {d['median_good']}, of "
        f"bads {d['median_bad']}; {d['at_floor']} at the floor, {d['at_ceiling']} at the "
        "ceiling.",
    ]
    if png_name:
        lines += ["", f"![Score distribution and calibration]({png_name})"]
    lines += [
        "",
        "## Points",
        "",
        "A bin is adverse when its training bad rate is above the population's (WoE below "
        "0): only there may a reason statement claim what the characteristic's reason "
        "text says (high, too many, recent).",
        "",
    ]
    for c in model["characteristics"]:
        lines += [
            f"### {c['name']} ({c['reason_code']}, IV {c['information_value']:.4f})",
            "",
            "| bin | points | WoE | training rows | bad rate | adverse |",
            "|---|---|---|---|---|---|",
        ]
        for b in c["bins"]:
            lines.append(
                f"| {b['label']} | {b['points']} | {b['woe']:+.4f} | {b['n_train']} | "
                f"{b['bad_rate_train']:.2%} | {'yes' if b.get('adverse') else 'no'} |"
            )
        lines.append("")
    return "\n".join(lines)
