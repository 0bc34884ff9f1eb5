"""Editors' tools: check the content, review unanswered questions, the spreadsheet, the report."""
