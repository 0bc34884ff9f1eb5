"""Measurements that print numbers and write them to reports/: speed, load, experiments."""
