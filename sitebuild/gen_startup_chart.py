"""mkdocs-gen-files entry point: the start-up chart, drawn from the lab's verified output.

Writes labs/startup-cost-chart.svg into the build's virtual docs tree, never into the
repository; docs/labs/startup-cost.md shows it beside the table it is drawn from.
"""

import mkdocs_gen_files
from mkdocs.exceptions import PluginError

from sitebuild import startup_chart

try:
    chart = startup_chart.svg(startup_chart.OUTPUT.read_text())
except (OSError, ValueError) as e:
    raise PluginError(str(e)) from None
with mkdocs_gen_files.open("labs/startup-cost-chart.svg", "w") as f:
    f.write(chart)
