/**
 * The part of jStat (npm `jstat`, untyped) the study uses: Student's t
 * quantile.
 */
declare const jStat: {
  studentt: {
    /** The quantile of Student's t with `dof` degrees of freedom at `p`. */
    inv(p: number, dof: number): number;
  };
};
export default jStat;
