# El recordatorio, en español (follow-up-due -r).
# The date in Spanish from start_parts ("martes 25 de noviembre, 10:00"),
# else start_local, for a conversation stored before start_parts.
def fecha: if .start_parts then .start_parts as $p
  | "\(["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"][$p.weekday]) \($p.day) de \(["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"][$p.month - 1]), \($p.hour):\($p.minute | if . < 10 then "0\(.)" else "\(.)" end)"
  else .start_local // .start_time end;
(.appointment // .) as $a
| "Hola \($a.first_name // ""), le recordamos su cita \($a.event_name // "") el \($a | fecha). ¿No puede venir? \($a.reschedule_url // "Responda a este mensaje.") Responda STOP para no recibir más mensajes."
