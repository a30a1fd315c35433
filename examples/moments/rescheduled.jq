# The confirmation of a rescheduled booking: the new time, instead of a
# second plain confirmation.  Without it, confirm.jq is sent.
(.appointment // .) as $a
| (if $a.location.type == "physical" and $a.location.text then " at \($a.location.text)" else "" end) as $where
| "Hi \($a.first_name // "there"), your \($a.event_name // "appointment") is moved to \($a.start_local // $a.start_time)\($where). Reply YES to confirm. Reply STOP to opt out."
