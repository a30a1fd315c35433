# El aviso de cancelación, en español (véase examples/moments/canceled.jq).
(.appointment // .) as $a
| "Hola \($a.first_name // ""), su cita \($a.event_name // "") del \($a.start_local // $a.start_time) está cancelada. ¿Desea otro horario? \($a.reschedule_url // "Responda a este mensaje.") Responda STOP para no recibir más mensajes."
