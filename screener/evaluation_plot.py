"""The detection figures as a picture: score distribution per scheme against the threshold."""

from __future__ import annotations

import random
from pathlib import Path

from screener.evaluation import ORDINARY, Report

MAX_POINTS = 1500  # per row: enough to see the shape, few enough to stay readable


def plot_report(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    labels = [ORDINARY, *(row.label for row in report.schemes)]
    recall = {row.label: row.recall for row in report.schemes}
    rng = random.Random(0)  # the same jitter every run, so the file only changes with the data
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(labels) + 1.6))
    for y, label in enumerate(reversed(labels)):
        scores = report.scores.get(label, [])
        shown = scores if len(scores) <= MAX_POINTS else rng.sample(scores, MAX_POINTS)
        colour = "tab:gray" if label == ORDINARY else "tab:red"
        ax.scatter(
            shown,
            [y + rng.uniform(-0.28, 0.28) for _ in shown],
            s=6,
            alpha=0.35,
            color=colour,
            linewidths=0,
        )
        if scores:
            ax.boxplot(
                scores,
                positions=[y],
                vert=False,
                widths=0.6,
                showfliers=False,
                medianprops={"color": "black"},
            )
    names = [
        f"{label} (n={len(report.scores.get(label, []))}"
        + (f", recall {recall[label]:.2f})" if recall.get(label) is not None else ")")
        for label in reversed(labels)
    ]
    ax.set_yticks(range(len(labels)), names)
    ax.axvline(report.threshold, color="tab:blue", linestyle="--", linewidth=1.2)
    ax.text(
        report.threshold + 1,
        -0.75,
        f"alert threshold {report.threshold:g}",
        color="tab:blue",
        fontsize=9,
        va="bottom",
    )
    alert_rate = report.ordinary.alert_rate or 0.0
    ax.set_title(
        f"Scores by scheme, policy {report.policy_version}: "
        f"ordinary alert rate {alert_rate:.2%}, planted recall {report.overall.recall or 0:.2f}",
        fontsize=10,
    )
    ax.set_xlabel("score")
    ax.set_xlim(-2, 102)
    ax.set_ylim(-0.8, len(labels) - 0.4)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
