"""Custom actions for the rasa-sdk action server, one module per concern.

``python -m rasa_sdk --actions actions`` imports every module of this package and registers the
``Action`` subclasses it finds, so a new module needs no registration here. Staff replies in a
conversation handed over to a person are relayed by ``staff_relay.ActionRelayStaffMessage``
(``action_relay_staff_message``), which the staff console runs through Rasa's HTTP API.
"""
