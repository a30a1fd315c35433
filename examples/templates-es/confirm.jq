# La confirmación, en español: la plantilla de un tipo de evento cuyos
# clientes hablan español (sms-send(1): DIR/EVENT_SLUG/confirm.jq).
# YES/SÍ, NO y STOP/BAJA se reconocen igual en las respuestas.
# The date in Spanish from start_parts ("martes 25 de noviembre, 10:00"),
# else start_local, for a conversation stored before start_parts.
def fecha: if .start_parts then .start_parts as $p
  | "\(["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"][$p.weekday]) \($p.day) de \(["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"][$p.month - 1]), \($p.hour):\($p.minute | if . < 10 then "0\(.)" else "\(.)" end)"
  else .start_local // .start_time end;
(.appointment // .) as $a
| (if $a.location.type == "physical" and $a.location.text then " en \($a.location.text)" else "" end) as $where
| (if $a.host.name then " con \($a.host.name)" else "" end) as $who
| "Hola \($a.first_name // ""), confirmamos su cita \($a.event_name // "")\($who) el \($a | fecha)\($where). Responda SI para confirmar. ¿Necesita otro horario? \($a.reschedule_url // "Responda a este mensaje.") Responda STOP para no recibir más mensajes."
