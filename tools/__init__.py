"""Editors', ML and development tools: they may import the runtime (komekshi), the runtime never
imports them."""
