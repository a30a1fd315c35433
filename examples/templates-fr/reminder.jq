# Le rappel, avant le rendez-vous (follow-up-due -r).
# La date en français d'après start_parts (« mardi 25 novembre à 10h00 »),
# sinon start_local, pour une conversation enregistrée avant start_parts.
def date_fr: if .start_parts then .start_parts as $p
  | "\(["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"][$p.weekday]) \(if $p.day == 1 then "1er" else $p.day end) \(["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"][$p.month - 1]) à \($p.hour)h\($p.minute | if . < 10 then "0\(.)" else "\(.)" end)"
  else .start_local // .start_time end;
(.appointment // .) as $a
| "Bonjour \($a.first_name // ""), rappel : votre rendez-vous \($a.event_name // "") est le \($a | date_fr). Impossible de venir ? \($a.reschedule_url // "Répondez à ce message.") Répondez STOP pour ne plus recevoir de messages."
