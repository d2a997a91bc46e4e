"""A one-page HTML report of a run that leads with what the graph knows.

First the knowledge: the most connected entities with their labels in each
language, every relation with its count and an example fact with its
sentence, example facts, what the filter kept and dropped (with examples
either side of its threshold), quality estimates where gold data exists
(cross-lingual linking against an ``alignment_gold.tsv`` found beside the
corpus, as ``examples/`` has), and the quarantined sources. Then the run's
numbers (each stage's seconds, rows and memory) and plots, each with a
title, axes and units; a plot with no data is left out, not drawn empty.

One self-contained file (plots are embedded PNGs); :func:`summary_markdown`
gives the same knowledge, shorter, for the Prefect artifact.
"""

from pipeline.report.contents import Knowledge, knowledge
from pipeline.report.page import summary_markdown, write_report
from pipeline.report.plots import precision_recall_plot, precision_recall_png

__all__ = ["Knowledge", "knowledge", "precision_recall_plot", "precision_recall_png", "summary_markdown",
           "write_report"]
