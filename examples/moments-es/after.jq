# Después de la cita (follow-up-due -A), en español.
(.appointment // .) as $a
| "Gracias por su visita, \($a.first_name // "")!\(if env.REVIEW_URL then " Cuéntenos qué tal: \(env.REVIEW_URL)" else "" end) Responda STOP para no recibir más mensajes."
