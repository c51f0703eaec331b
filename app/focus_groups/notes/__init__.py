"""Session notes: taking them live, keeping every version, the proportion grid, the debrief, the lock,
and what leaves the console (a table for CSV/XLSX, passages for the analysis)."""
