import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

/**
 * Text shown to people (names, labels, reasons) must show what it is: no control characters
 * (Cc, which rewrite a terminal or a log line), no format characters (Cf: bidi overrides that
 * reverse what follows, zero-width spaces and joiners that make 'dup' and 'dup\u200b' two
 * names), no private-use or lone surrogate code points, no line or paragraph separators.
 */
const VISIBLE = /^[^\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]+$/u;

export const IsVisibleText = (field: string) =>
  Matches(VISIBLE, { message: `${field} must not contain control or invisible formatting characters` });

/**
 * A name or label: NFKC-normalised then trimmed before it is validated and stored, so that a
 * compatibility form (fullwidth 'ＤＵＰ', the 'ﬁ' ligature) is stored as the text it stands for
 * and cannot pose as a different name; NFKC rather than NFC because names are identifiers here,
 * compared for uniqueness, not prose whose exact glyphs matter.
 */
export const IsDisplayName = (field: string, maxLength: number) =>
  applyDecorators(
    IsString(),
    Transform(({ value }) => (typeof value === 'string' ? value.normalize('NFKC').trim() : value)),
    MinLength(1),
    MaxLength(maxLength),
    IsVisibleText(field),
  );
