# El seguimiento, en español, si no hubo respuesta 30 minutos después.
(.appointment // .) as $a
| "Hola \($a.first_name // ""), ¿seguimos con su cita \($a.event_name // "") el \($a.start_local // $a.start_time)? Responda SI para confirmar, o cambie la hora aquí: \($a.reschedule_url // "responda a este mensaje"). Responda STOP para no recibir más mensajes."
