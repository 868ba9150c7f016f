/**
 * Groups of given names that refer to the same person in practice (formal name, short forms,
 * spelling variants). Deliberately small and English-centric: it covers the common cases in
 * records here and is easy to extend; a miss only lowers confidence, it never creates a match.
 */
const GROUPS: readonly string[][] = [
  ['alexander', 'alex', 'alec', 'sandy', 'xander'],
  ['alexandra', 'alex', 'alexa', 'lexi', 'sandra', 'sandy'],
  ['andrew', 'andy', 'drew'],
  ['anthony', 'tony', 'antony'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['catherine', 'katherine', 'kathryn', 'cathryn', 'kate', 'katie', 'cathy', 'kathy', 'kat', 'cath', 'kath'],
  ['charles', 'charlie', 'chas', 'chuck'],
  ['charlotte', 'charlie', 'lottie', 'lotte'],
  ['christopher', 'chris', 'kit', 'topher'],
  ['christine', 'chris', 'chrissie', 'christina', 'tina'],
  ['daniel', 'dan', 'danny'],
  ['david', 'dave', 'davey', 'davy'],
  ['deborah', 'debra', 'debbie', 'deb'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'eliza', 'libby', 'bess', 'elisabeth'],
  ['eleanor', 'ellie', 'nell', 'nora', 'elinor'],
  ['frederick', 'fred', 'freddie', 'freddy'],
  ['gareth', 'gaz', 'gary'],
  ['jacqueline', 'jackie', 'jacqui'],
  ['james', 'jim', 'jimmy', 'jamie', 'jimmie'],
  ['jennifer', 'jen', 'jenny', 'jenni'],
  ['john', 'jon', 'johnny', 'jack', 'jonny'],
  ['jonathan', 'jon', 'jonny', 'nathan'],
  ['joseph', 'joe', 'joey', 'jo'],
  ['josephine', 'jo', 'josie'],
  ['joanne', 'jo', 'joanna', 'joann'],
  ['kimberley', 'kimberly', 'kim'],
  ['lawrence', 'laurence', 'larry', 'laurie'],
  ['leonard', 'len', 'lenny', 'leo'],
  ['margaret', 'maggie', 'meg', 'peggy', 'marge', 'margo', 'greta'],
  ['matthew', 'matt', 'matty'],
  ['michael', 'mike', 'mick', 'micky', 'mikey', 'mickey'],
  ['michelle', 'shelley', 'chelle'],
  ['nicholas', 'nick', 'nicky', 'nico'],
  ['nicola', 'nicky', 'nikki', 'nichola'],
  ['patricia', 'pat', 'patty', 'trish', 'tricia'],
  ['patrick', 'pat', 'paddy'],
  ['peter', 'pete'],
  ['rebecca', 'becky', 'becca', 'bex'],
  ['richard', 'rich', 'rick', 'ricky', 'dick', 'richie'],
  ['robert', 'rob', 'robbie', 'bob', 'bobby', 'bert'],
  ['samantha', 'sam', 'sammy', 'sammie'],
  ['samuel', 'sam', 'sammy'],
  ['sarah', 'sara', 'sal', 'sally'],
  ['stephen', 'steven', 'steve', 'stevie'],
  ['susan', 'sue', 'susie', 'suzanne', 'suzie'],
  ['terence', 'terrence', 'terry'],
  ['thomas', 'tom', 'tommy'],
  ['timothy', 'tim', 'timmy'],
  ['victoria', 'vicky', 'vicki', 'tori', 'vikki'],
  ['william', 'will', 'bill', 'billy', 'liam', 'willie'],
  ['zachary', 'zach', 'zack', 'zak'],
  ['mohammed', 'muhammad', 'mohammad', 'mohamed', 'mohamad', 'mo'],
  ['aleksander', 'aleksandr', 'alexander'],
  ['katarzyna', 'kasia', 'kasha'],
  ['agnieszka', 'aga', 'agnes'],
  ['abigail', 'abby', 'abbie', 'gail'],
  ['amelia', 'millie', 'amy'],
  ['emily', 'em', 'emmy'],
  ['jessica', 'jess', 'jessie'],
  ['lucy', 'lucie', 'lu'],
  ['gemma', 'jemma'],
  ['leanne', 'lianne', 'leeanne'],
  ['kelly', 'kelli', 'kellie'],
  ['stacey', 'stacy', 'staci'],
  ['zoe', 'zoey'],
  ['callum', 'calum'],
  ['connor', 'conor'],
  ['craig', 'kraig'],
  ['dean', 'deano'],
  ['lee', 'leigh'],
  ['louise', 'lou', 'louisa'],
  ['harry', 'henry', 'hal', 'harold'],
  ['jake', 'jacob', 'jakob'],
  ['oliver', 'ollie', 'olly'],
];

const INDEX: Map<string, Set<number>> = (() => {
  const idx = new Map<string, Set<number>>();
  GROUPS.forEach((g, i) => {
    for (const n of g) {
      const set = idx.get(n) ?? new Set<number>();
      set.add(i);
      idx.set(n, set);
    }
  });
  return idx;
})();

/** True when the two (already normalised) given names are listed as variants of each other. */
export function areNameVariants(a: string, b: string): boolean {
  if (a === b) return true;
  const ga = INDEX.get(a);
  const gb = INDEX.get(b);
  if (!ga || !gb) return false;
  for (const g of ga) if (gb.has(g)) return true;
  return false;
}

/** Every known variant of a given name (used by the synthetic data to write plausible aliases). */
export function variantsOf(name: string): string[] {
  const out = new Set<string>();
  for (const g of INDEX.get(name) ?? []) for (const n of GROUPS[g]!) if (n !== name) out.add(n);
  return [...out];
}
