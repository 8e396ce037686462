/** The flags of `mesh status` as commander hands them to the action. */
export interface StatusOptions {
  drift: boolean;
  istioctl?: string;
  istioVersion?: string;
  helm: string;
  revision?: string;
}
