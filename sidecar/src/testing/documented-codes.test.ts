import { describe, expect, it } from "vitest";
import { documentedCodes } from "./documented-codes.js";

const readme = `# x

Mentions \`ELSEWHERE\` outside the section.

## Codes

Some words about \`NOT_A_ROW\`.

| code    | meaning |
| ------- | ------- |
| \`ONE\` | first   |
| \`TWO\` | second  |

| \`LATER_TABLE\` | ignored |

## Next

| \`OTHER\` | another section |
`;

describe("documentedCodes", () => {
  it("reads the first column of the section's first table, nothing else", () => {
    expect(documentedCodes(readme, "Codes")).toEqual(["ONE", "TWO"]);
  });

  it("says so when the section or its table is missing", () => {
    expect(() => documentedCodes(readme, "Missing")).toThrow('no section "Missing"');
    expect(() => documentedCodes("## Empty\n\ntext\n", "Empty")).toThrow("no table");
  });
});
