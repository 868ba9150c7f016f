/**
 * Word lists for clearly fictional people and places. Names are common UK given/family names (so
 * matching is exercised on realistic collisions); streets and towns are invented; postcodes use the
 * real format in Essex districts (CM, CO, SS) so postcode operators can parse them, with unit codes
 * starting Z ("CM1 4ZT") so they read as invented.
 */
export const GIVEN_F = [
  'Amelia', 'Olivia', 'Emily', 'Jessica', 'Sophie', 'Charlotte', 'Chloe', 'Lucy', 'Hannah', 'Megan',
  'Rebecca', 'Sarah', 'Laura', 'Gemma', 'Kelly', 'Stacey', 'Leanne', 'Nicola', 'Samantha', 'Victoria',
  'Katherine', 'Elizabeth', 'Jennifer', 'Michelle', 'Deborah', 'Joanne', 'Susan', 'Patricia', 'Margaret',
  'Christine', 'Abigail', 'Zoe', 'Natalie', 'Danielle', 'Kirsty', 'Hayley', 'Amy', 'Rachel', 'Claire',
  'Aisha', 'Fatima', 'Priya', 'Sunita', 'Katarzyna', 'Agnieszka', 'Ioana', 'Chantelle', 'Shanice', 'Niamh',
  'Siobhan', 'Eleanor', 'Jacqueline', 'Kimberley', 'Louise', 'Tracey', 'Paula', 'Dawn', 'Lisa', 'Karen',
];
export const GIVEN_M = [
  'Oliver', 'Jack', 'Harry', 'Jacob', 'Charlie', 'Thomas', 'George', 'James', 'William', 'Daniel',
  'Matthew', 'Christopher', 'Michael', 'David', 'Andrew', 'Richard', 'Robert', 'Stephen', 'Anthony', 'Mark',
  'Paul', 'Lee', 'Craig', 'Dean', 'Wayne', 'Gareth', 'Jason', 'Darren', 'Shane', 'Ryan',
  'Liam', 'Connor', 'Callum', 'Kieran', 'Jordan', 'Nathan', 'Adam', 'Luke', 'Ben', 'Sam',
  'Mohammed', 'Imran', 'Tariq', 'Arjun', 'Piotr', 'Tomasz', 'Aleksander', 'Andrei', 'Kwame', 'Dwayne',
  'Terence', 'Leonard', 'Frederick', 'Patrick', 'Nicholas', 'Timothy', 'Edward', 'Joseph', 'Samuel', 'Benjamin',
];
export const FAMILY = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright',
  'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke',
  'Patel', 'Khan', 'Ahmed', 'Hussain', 'Begum', 'Singh', 'Kowalski', 'Nowak', 'Popescu', 'Okafor',
  'Harrison', 'Lewis', 'Martin', 'Cooper', 'Hill', 'Ward', 'Hughes', 'Moore', 'Clark', 'Turner',
  'Baker', 'Edwards', 'Phillips', 'Parker', 'Morris', 'Cook', 'Bennett', 'Bell', 'Shaw', 'Fletcher',
  "O'Brien", 'McCarthy', 'Murphy', 'Kelly', 'Doherty', 'Fitzgerald', 'Ashworth', 'Pemberton', 'Whitlock', 'Smith-Jones',
  'Grimshaw', 'Haddon', 'Lockwood', 'Marsh', 'Nash', 'Oakley', 'Penrose', 'Quayle', 'Redfern', 'Stanton',
];
/** Invented street names (checked not to be a real street in the postcode areas used, as far as practical). */
export const STREET_STEMS = [
  'Larkspur', 'Brambling', 'Copperfield', 'Heronsgate', 'Thistledown', 'Wrenfield', 'Marigold', 'Foxglove',
  'Kestrel', 'Sandpiper', 'Elderberry', 'Hawthorn', 'Juniper', 'Oakapple', 'Pennyroyal', 'Quillfeather',
  'Rosebay', 'Saltmarsh', 'Teasel', 'Willowherb', 'Yarrow', 'Bittern', 'Campion', 'Dunnock',
];
export const STREET_KINDS = ['Road', 'Close', 'Way', 'Avenue', 'Gardens', 'Lane', 'Court', 'Drive', 'Crescent', 'Walk'];
/** Invented towns, each with a real-format postcode district in an Essex area. */
export const TOWNS: readonly { town: string; districts: readonly string[] }[] = [
  { town: 'Fenbridge', districts: ['CM1', 'CM2'] },
  { town: 'Marlow Green', districts: ['CM7', 'CM8'] },
  { town: 'Saltings', districts: ['SS1', 'SS2', 'SS3'] },
  { town: 'Colnefield', districts: ['CO1', 'CO2', 'CO4'] },
  { town: 'Harwick Quay', districts: ['CO12', 'CO13'] },
  { town: 'Basildene', districts: ['SS14', 'SS15', 'SS16'] },
];
export const POSTCODE_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
export const INTERPRETER_LANGUAGES = ['pl', 'ro', 'ur', 'pa', 'bn', 'ar', 'so', 'lt', 'pt', 'tr'];
/** Fictional GP practices: ODS-shaped codes in a range chosen not to be real practices' (Y9xxxx). */
export const GP_PRACTICES = ['Y90001', 'Y90002', 'Y90003', 'Y90004', 'Y90005', 'Y90006', 'Y90007', 'Y90008'];
