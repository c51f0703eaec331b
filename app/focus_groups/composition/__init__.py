"""Fair composition of groups: the optimiser, a study's group plan, the planning spreadsheets and the plan pages."""
