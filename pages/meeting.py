import streamlit as st

st.title("Meeting")
st.info("This page is being built.")
