# La confirmación, en español: la plantilla de un tipo de evento cuyos
# clientes hablan español (sms-send(1): DIR/EVENT_SLUG/confirm.jq).
# YES/SÍ, NO y STOP/BAJA se reconocen igual en las respuestas.
(.appointment // .) as $a
| (if $a.location.type == "physical" and $a.location.text then " en \($a.location.text)" else "" end) as $where
| (if $a.host.name then " con \($a.host.name)" else "" end) as $who
| "Hola \($a.first_name // ""), confirmamos su cita \($a.event_name // "")\($who) el \($a.start_local // $a.start_time)\($where). Responda SI para confirmar. ¿Necesita otro horario? \($a.reschedule_url // "Responda a este mensaje.") Responda STOP para no recibir más mensajes."
