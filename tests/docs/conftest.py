"""Print which documented commands ran and which were skipped, with their reason."""

from tests.docs import report


def pytest_terminal_summary(terminalreporter):
    entries = [
        value
        for reports in terminalreporter.stats.values()
        for test_report in reports
        if getattr(test_report, "when", None) == "call"
        for name, value in test_report.user_properties
        if name == report.PROPERTY
    ]
    lines = report.summary_lines(entries)
    if lines:
        terminalreporter.section("documented commands")
        for line in lines:
            terminalreporter.write_line(line)
