"""The monthly report for the civil-affairs bureau, assembled from the sections the apps declare (core/monthly.py)."""
