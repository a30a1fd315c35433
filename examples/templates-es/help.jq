# La respuesta a HELP/AYUDA, en español: el nombre del negocio y cómo darse de baja.
(.appointment // .) as $a
| "\(env.BUSINESS // "Le") enviamos mensajes sobre su cita \($a.event_name // "") el \($a.start_local // $a.start_time). Responda SI para confirmar o use \($a.reschedule_url // "el enlace de su confirmación") para cambiarla. Pueden aplicarse tarifas. Responda STOP para darse de baja."
