# El recordatorio, en español (follow-up-due -r).
(.appointment // .) as $a
| "Hola \($a.first_name // ""), le recordamos su cita \($a.event_name // "") el \($a.start_local // $a.start_time). ¿No puede venir? \($a.reschedule_url // "Responda a este mensaje.") Responda STOP para no recibir más mensajes."
