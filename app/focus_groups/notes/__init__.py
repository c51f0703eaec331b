"""Session notes: taking them live, keeping every version, the proportion grid, the debrief, the lock,
and what leaves the console.

- `access`: who is in a session and who may see or write its notes.
- `pseudonyms`: names, email addresses and phone numbers out of what is typed and stored.
- `taking`: adding, changing, deleting and restoring notes, their history, and the lock.
- `debrief` and `proportions`: the facilitator's debrief and the proportion grid.
- `output`: the notes as a table for CSV/XLSX and as passages for the analysis.
- `models`, `forms`, `routes`: the tables, the form parsing and the pages (the facilitator's console).
"""
