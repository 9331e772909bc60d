"""The requirements of BSI IT-Grundschutz CON.3 (Datensicherungskonzept) ikzops gives evidence
for (the one home of their ids and titles; titles paraphrased, check your edition)."""

from __future__ import annotations

REQUIREMENTS = {
    "CON.3.A1": "Einflussfaktoren erheben: Datenvolumen, Änderungsrate, Verfügbarkeit (RPO, RTO) je System",
    "CON.3.A2": "Verfahrensweise festlegen: Art, Häufigkeit und Zeitpunkte der Sicherungen",
    "CON.3.A4": "Datensicherungspläne: was gesichert wird, wie es gesichert und wiederhergestellt wird",
    "CON.3.A5": "Regelmäßige Datensicherung: die Sicherungen laufen wie geplant",
    "CON.3.A6": "Datensicherungskonzept mit Zuständigkeiten und Wiederanlaufreihenfolge",
    "CON.3.A12": "Aufbewahrung: Kopien in einem anderen Brandabschnitt / Gebäude",
    "CON.3.A13": "Kryptografische Verfahren: verschlüsselte Sicherungen, geschützte Schlüssel",
    "CON.3.A14": "Schutz der Sicherungen vor Überschreiben, Löschen und unbefugtem Zugriff",
    "CON.3.A15": "Regelmäßiges Testen: Wiederherstellung korrekt und in angemessener Zeit",
    "DER.4": "Übungen und ihre Abweichungen dokumentiert und nachverfolgt",
}


def title(requirement: str) -> str:
    return f"{requirement} — {REQUIREMENTS[requirement]}"
