"""Evidence for auditors (pure: the model and the history in, documents' data out).

``con3`` names the requirements of BSI IT-Grundschutz CON.3 each section answers;
``concept`` builds the backup concept from the model and the measured history;
``period`` evaluates a period (runs due, made, good; gaps, verify coverage, drills, findings);
``charts`` draws the report's charts as inline SVG.
"""
