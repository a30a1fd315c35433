# The answer to HELP, sent at once when a customer texts HELP (follow-up-due -H).
# Carriers require it to name the business and say how to opt out; set
# BUSINESS in the sender's environment, or write the name here.
(.appointment // .) as $a
| "\(env.BUSINESS // "We") text you about your \($a.event_name // "appointment") on \($a.start_local // $a.start_time). Reply YES to confirm, or use \($a.reschedule_url // "the link in your confirmation") to change it. Msg&data rates may apply. Reply STOP to opt out."
