"""The referral statistics kept beside the referrals (daily and weekly counts and histograms), below
the workflow engine that keeps them current."""
