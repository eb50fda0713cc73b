// Text for screen readers only: in the accessibility tree, not on screen (e.g. the name of a table's corner
// header, or the part of a button's name that its picture shows).
import { css } from 'lit';

export const srOnlyStyles = css`
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
