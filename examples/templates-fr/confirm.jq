# La confirmation, en français : le jeu d'un type d'événement dont les
# clients parlent français (sms-send(1) : DIR/EVENT_SLUG/confirm.jq).
# OUI, NON, AIDE et STOP/ARRET se reconnaissent dans les réponses.
# La date en français d'après start_parts (« mardi 25 novembre à 10h00 »),
# sinon start_local, pour une conversation enregistrée avant start_parts.
def date_fr: if .start_parts then .start_parts as $p
  | "\(["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"][$p.weekday]) \(if $p.day == 1 then "1er" else $p.day end) \(["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"][$p.month - 1]) à \($p.hour)h\($p.minute | if . < 10 then "0\(.)" else "\(.)" end)"
  else .start_local // .start_time end;
(.appointment // .) as $a
| (if $a.location.type == "physical" and $a.location.text then " au \($a.location.text)" else "" end) as $where
| (if $a.host.name then " avec \($a.host.name)" else "" end) as $who
| "Bonjour \($a.first_name // ""), nous confirmons votre rendez-vous \($a.event_name // "")\($who) le \($a | date_fr)\($where). Répondez OUI pour confirmer. Besoin d'un autre horaire ? \($a.reschedule_url // "Répondez à ce message.") Répondez STOP pour ne plus recevoir de messages."
