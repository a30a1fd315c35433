# La confirmación de una cita cambiada de hora, en español.
(.appointment // .) as $a
| "Hola \($a.first_name // ""), su cita \($a.event_name // "") pasa al \($a.start_local // $a.start_time). Responda SI para confirmar. Responda STOP para no recibir más mensajes."
