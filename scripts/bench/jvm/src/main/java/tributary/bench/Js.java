package tributary.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Numbers as the TypeScript rules compute and print them, so that reasons and email bodies carry the
 * same text on both sides: JavaScript's Math.round, String(number) and toFixed(2).
 */
final class Js {
  private Js() {}

  /** Math.round(x * 100) / 100: to whole cents, halves up. */
  static double cents(double amount) {
    return Math.round(amount * 100) / 100.0;
  }

  /** String(number) for the values of this system: integers without ".0", others in plain notation. */
  static String number(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e21) return Long.toString((long) value);
    return new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
  }

  /** number.toFixed(2): the exact binary value rounded to two decimals, halves away from zero. */
  static String fixed2(double value) {
    return new BigDecimal(value).setScale(2, RoundingMode.HALF_UP).toPlainString();
  }
}
