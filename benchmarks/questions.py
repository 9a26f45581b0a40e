"""Questions a room of customers asks the customer-service preset, worded the way people write."""

CUSTOMER_QUESTIONS = (
    "How long is the warranty on the frame?",
    "Are you open on Sunday?",
    "Do you repair electric bikes?",
    "How long does delivery take?",
    "Can I return a helmet I never used?",
    "Is shipping free?",
    "What time do you open on Saturday?",
    "How do I book a repair?",
    "Is there a warranty on the gears?",
    "Can I get my money back after two weeks?",
    "Do you fix bikes from other brands?",
    "When do you close on weekdays?",
    "How much does shipping cost for a 30 euro order?",
    "What phone number do I call for the workshop?",
    "Do I need the receipt to return something?",
    "How many days until my order arrives?",
)
