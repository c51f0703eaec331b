"""Survey results: figures, crosstabs, free text, the impact model, charts and exports of submitted responses."""
