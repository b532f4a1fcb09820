"""Lessons learned: the lesson as data and Markdown, validated input, and the role-checked, audited workflow."""
