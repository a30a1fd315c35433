# The cancel notice, sent once when an appointment is canceled (never when
# it was only moved: the new time goes out as rescheduled.jq).  Copy it
# into the sender's template directory to turn cancel notices on.
(.appointment // .) as $a
| "Hi \($a.first_name // "there"), your \($a.event_name // "appointment") on \($a.start_local // $a.start_time) is canceled. Want another time? \($a.reschedule_url // "Just reply to this message.") Reply STOP to opt out."
