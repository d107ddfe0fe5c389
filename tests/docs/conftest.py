"""Print which documented commands ran and which were skipped, with their reason."""

from tests.docs import report


def pytest_terminal_summary(terminalreporter):
    lines = report.summary_lines()
    if lines:
        terminalreporter.section("documented commands")
        for line in lines:
            terminalreporter.write_line(line)
